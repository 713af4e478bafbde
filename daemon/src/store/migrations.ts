/** Schema migrations; index i upgrades user_version i → i+1. Never edit a shipped entry. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE networks (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    driver       TEXT NOT NULL,
    created      TEXT NOT NULL,
    internal     INTEGER NOT NULL DEFAULT 0,
    attachable   INTEGER NOT NULL DEFAULT 0,
    enable_ipv6  INTEGER NOT NULL DEFAULT 0,
    predefined   INTEGER NOT NULL DEFAULT 0,
    ipam_driver  TEXT NOT NULL DEFAULT 'default',
    ipam_options TEXT NOT NULL DEFAULT '{}',
    options      TEXT NOT NULL DEFAULT '{}',
    labels       TEXT NOT NULL DEFAULT '{}',
    driver_state TEXT NOT NULL DEFAULT '{}',
    state        TEXT NOT NULL CHECK (state IN ('creating', 'ready', 'deleting'))
  );
  CREATE TABLE pools (
    id         INTEGER PRIMARY KEY,
    network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    family     INTEGER NOT NULL CHECK (family IN (4, 6)),
    subnet     TEXT NOT NULL UNIQUE,
    ip_range   TEXT,
    gateway    TEXT,
    aux        TEXT NOT NULL DEFAULT '{}',
    serial     INTEGER NOT NULL DEFAULT 0,
    cursor     TEXT
  );
  CREATE INDEX pools_network ON pools(network_id);
  CREATE TABLE sandboxes (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    container_id TEXT NOT NULL,
    key          TEXT NOT NULL,
    external     INTEGER NOT NULL DEFAULT 0,
    created      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('creating', 'ready', 'deleting'))
  );
  CREATE TABLE endpoints (
    id         TEXT PRIMARY KEY,
    network_id TEXT NOT NULL REFERENCES networks(id),
    name       TEXT NOT NULL,
    sandbox_id TEXT REFERENCES sandboxes(id),
    if_index   INTEGER,
    host_if    TEXT,
    mac        TEXT,
    ipv4       TEXT,
    ipv6       TEXT,
    aliases    TEXT NOT NULL DEFAULT '[]',
    created    TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('creating', 'ready', 'joining', 'leaving', 'deleting')),
    UNIQUE (network_id, name),
    UNIQUE (sandbox_id, if_index)
  );
  CREATE INDEX endpoints_sandbox ON endpoints(sandbox_id);
  CREATE TABLE allocations (
    pool_id  INTEGER NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    address  TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('gateway', 'aux', 'endpoint')),
    owner    TEXT NOT NULL,
    owner_id TEXT,
    PRIMARY KEY (pool_id, address)
  );
  CREATE INDEX allocations_owner ON allocations(owner_id);
  CREATE TABLE ports (
    endpoint_id    TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    host_ip        TEXT NOT NULL,
    host_port      INTEGER NOT NULL,
    protocol       TEXT NOT NULL,
    container_port INTEGER NOT NULL,
    UNIQUE (host_ip, host_port, protocol)
  );
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  // 2: remember whether a pool's subnet came from the user (Docker refuses static IPs otherwise)
  `ALTER TABLE pools ADD COLUMN user_configured INTEGER NOT NULL DEFAULT 0;`,
  // 3: the interface name inside the sandbox is data (given by the caller, or derived at join);
  // rows joined before it was stored get the name the bridge driver derived: <prefix><if_index>
  `ALTER TABLE endpoints ADD COLUMN if_name TEXT;
  UPDATE endpoints SET if_name = (
    SELECT coalesce(json_extract(n.options, '$."com.docker.network.container_iface_prefix"'), 'eth') || endpoints.if_index
    FROM networks n WHERE n.id = endpoints.network_id AND n.driver = 'bridge'
  ) WHERE sandbox_id IS NOT NULL AND if_index IS NOT NULL;
  CREATE UNIQUE INDEX endpoints_sandbox_if_name ON endpoints(sandbox_id, if_name);`,
  // 4: pools that exist before (and after) a network, as Docker's RequestPool makes them: network_id
  // nullable, the address space, who requested the pool and its options; subnets unique per address
  // space; allocations of kind 'address' (RequestAddress). SQLite's table rebuild, ids kept (openDb
  // runs migrations with foreign keys off, so dropping the old tables cascades nothing).
  `
  CREATE TABLE pools_v3 (
    id              INTEGER PRIMARY KEY,
    address_space   TEXT NOT NULL DEFAULT 'LocalDefault',
    network_id      TEXT REFERENCES networks(id) ON DELETE CASCADE,
    requested_by    TEXT,
    family          INTEGER NOT NULL CHECK (family IN (4, 6)),
    subnet          TEXT NOT NULL,
    ip_range        TEXT,
    gateway         TEXT,
    aux             TEXT NOT NULL DEFAULT '{}',
    serial          INTEGER NOT NULL DEFAULT 0,
    cursor          TEXT,
    user_configured INTEGER NOT NULL DEFAULT 0,
    options         TEXT NOT NULL DEFAULT '{}',
    UNIQUE (address_space, subnet)
  );
  INSERT INTO pools_v3 (id, network_id, family, subnet, ip_range, gateway, aux, serial, cursor, user_configured)
    SELECT id, network_id, family, subnet, ip_range, gateway, aux, serial, cursor, user_configured FROM pools;
  DROP TABLE pools;
  ALTER TABLE pools_v3 RENAME TO pools;
  CREATE INDEX pools_network ON pools(network_id);
  CREATE TABLE allocations_v3 (
    pool_id  INTEGER NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    address  TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('gateway', 'aux', 'endpoint', 'address')),
    owner    TEXT NOT NULL,
    owner_id TEXT,
    PRIMARY KEY (pool_id, address)
  );
  INSERT INTO allocations_v3 (pool_id, address, kind, owner, owner_id) SELECT pool_id, address, kind, owner, owner_id FROM allocations;
  DROP TABLE allocations;
  ALTER TABLE allocations_v3 RENAME TO allocations;
  CREATE INDEX allocations_owner ON allocations(owner_id);
  `,
  // 5: remember whether a pool's gateway was given rather than picked when its network was made
  // (Docker's inspect shows a configured pool's gateway only then); pools made before keep showing theirs
  `ALTER TABLE pools ADD COLUMN gateway_configured INTEGER NOT NULL DEFAULT 1;`,
  // 6: the front door that made a sandbox ('cni': CNI attachments; NULL = the native or Docker API),
  // at most one sandbox per front door and container id
  `ALTER TABLE sandboxes ADD COLUMN origin TEXT;
  CREATE UNIQUE INDEX sandboxes_origin ON sandboxes(origin, container_id) WHERE origin IS NOT NULL;`,
  // 7: indexes for lookups that scanned whole tables: an endpoint's ports (its delete cascades
  // into them), the ports on a host port, sandboxes by container id; and the lists' order, so
  // listing 10,000 endpoints or sandboxes sorts nothing
  `CREATE INDEX ports_endpoint ON ports(endpoint_id);
  CREATE INDEX ports_host_port ON ports(host_port, protocol);
  CREATE INDEX sandboxes_container ON sandboxes(container_id);
  CREATE INDEX endpoints_created ON endpoints(created, name);
  CREATE INDEX sandboxes_created ON sandboxes(created, name);`,
  // 8: a network's endpoints in list order: its endpoint count (every network list shows it) and its
  // endpoint list read 500 index entries instead of scanning all 10,000 rows
  `CREATE INDEX endpoints_network ON endpoints(network_id, created, name);`,
  // 9: endpoints(sandbox_id) repeats the first column of the unique (sandbox_id, if_index) index,
  // which answers the same lookups (in if_index order) and the sandboxes foreign key: one index
  // less to write on every endpoint insert and delete
  `DROP INDEX endpoints_sandbox;`,
];
