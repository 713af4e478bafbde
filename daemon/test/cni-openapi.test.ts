import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { buildCniTestApp, cniConf, cniEnv, type CniTestApp } from './helpers/cni-app.js';

interface Operation {
  requestBody: { content: Record<string, { schema: { required?: string[] } }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

let t: CniTestApp;
let doc: { paths: Record<string, Record<string, Operation>> };
const ns = (id: string) => `/var/run/netns/cni-${id}`;

before(async () => {
  t = await buildCniTestApp();
  const r = await t.app.inject({ method: 'GET', url: '/v1/openapi.json' });
  assert.equal(r.statusCode, 200);
  doc = r.json();
});
after(() => t.close());

describe('the CNI API in GET /v1/openapi.json', () => {
  test('documents POST /cni/v1/exec from its route schemas, next to the native routes', () => {
    const exec = doc.paths['/cni/v1/exec'];
    assert.deepStrictEqual(Object.keys(exec ?? {}), ['post']);
    assert.deepStrictEqual(exec!.post!.requestBody.content['application/json']!.schema.required, ['env', 'stdin']);
    assert.deepStrictEqual(Object.keys(exec!.post!.responses).sort(), ['200', '204', '4XX', '5XX']);
    assert.ok(doc.paths['/v1/networks'], 'the native routes are still there');
    assert.deepStrictEqual(Object.keys(doc.paths).filter((p) => !p.startsWith('/v1/')), ['/cni/v1/exec']);
  });

  test('its answers (results, no content, CNI errors) validate against the document', async () => {
    t.kernel.addForeignNetns(ns('c1'));
    const answers = [
      await t.exec({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}'),
      await t.exec(cniEnv('ADD', 'c1', ns('c1')), cniConf({ cniVersion: '0.4.0' })),
    ];
    const prevResult = answers[1]!.body;
    answers.push(
      await t.exec(cniEnv('CHECK', 'c1', ns('c1')), cniConf({ cniVersion: '0.4.0', prevResult })),
      await t.exec(cniEnv('ADD', 'c1', ns('c1')), cniConf({ cniVersion: '0.4.0' })),
      await t.exec(cniEnv('ADD', 'c1', ns('c1')), cniConf({ cniVersion: '9.9.9' })),
      await t.exec({ CNI_COMMAND: 'STATUS' }, cniConf({ cniVersion: '1.1.0', name: 'x', ipam: { subnet: '10.200.0.0/24' } })),
      await t.exec(cniEnv('DEL', 'c1', ns('c1')), cniConf({ cniVersion: '0.4.0' })),
    );
    assert.deepStrictEqual(answers.map((a) => a.status), [200, 200, 204, 409, 400, 503, 204]);
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const responses = doc.paths['/cni/v1/exec']!.post!.responses;
    for (const a of answers) {
      const response = responses[String(a.status)] ?? responses[`${String(a.status)[0]}XX`];
      assert.ok(response, `${a.status}: not in the document`);
      if (response.content === undefined) {
        assert.equal(a.body, undefined, `${a.status}: the document says no body`);
        continue;
      }
      const validate = ajv.compile(response.content['application/json']!.schema);
      assert.ok(validate(a.body), `${a.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(a.body)}`);
    }
  });
});
