import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keepScaleSection, scaleSection, SCALE_HEADING, withScaleSection } from './scale-section.js';

const main = (figure: string) => `# Benchmarks\n\n| main | ${figure} |\n\n## Notes\n\n- a note\n`;
const scale = (figure: string) => `${SCALE_HEADING}\n\nWritten on ${figure}.\n\n| scale | ${figure} |\n`;

describe('BENCHMARKS.md scale section', () => {
  it('is appended to a document without one, and found again', () => {
    const doc = withScaleSection(main('1'), scale('A'));
    assert.ok(doc.startsWith(main('1').trimEnd()));
    assert.equal(scaleSection(doc), scale('A'));
  });

  it('a new scale run replaces only the scale section, wherever it sits', () => {
    const middle = `# Benchmarks\n\n| main | 1 |\n\n${scale('A')}\n## Notes\n\n- a note\n`;
    const doc = withScaleSection(middle, scale('B'));
    assert.equal(scaleSection(doc), scale('B'));
    assert.ok(doc.includes('| main | 1 |') && doc.includes('## Notes\n\n- a note') && !doc.includes('| scale | A |'));
    assert.equal(withScaleSection(withScaleSection(main('1'), scale('A')), scale('B')), withScaleSection(main('1'), scale('B')));
  });

  it('a main run keeps the previous scale section and takes its own table', () => {
    const previous = withScaleSection(main('1'), scale('A'));
    const doc = keepScaleSection(previous, main('2'));
    assert.ok(doc.includes('| main | 2 |') && !doc.includes('| main | 1 |'));
    assert.equal(scaleSection(doc), scale('A'));
  });

  it('a main run over a file without a scale section (or no file) writes its own document only', () => {
    assert.equal(keepScaleSection(main('1'), main('2')), main('2'));
    assert.equal(keepScaleSection(undefined, main('2')), main('2'));
  });
});
