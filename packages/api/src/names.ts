/**
 * Network, sandbox and endpoint names: safe for logs and never passed to a shell. A module of its
 * own, without zod, so that the CLI can check a name without loading every schema.
 */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
