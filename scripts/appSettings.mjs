// The build settings the app reads from `import.meta.env` (src/swarm/net/config.ts, src/chain/config.ts).
// The packed app template has a placeholder string for each (scripts/prebuild.mjs) that `lockstep
// build-app` replaces with an operator's value (src/cli/buildApp.ts).
export const APP_SETTINGS = /** @type {const} */ ([
  'VITE_RELAY_ADDR',
  'VITE_CHAIN_RPC',
  'VITE_CHAIN_ID',
  'VITE_RECEIPT_REGISTRY',
  'VITE_SWARM_REGISTRY',
  'VITE_SWARM_COORDINATOR',
  'VITE_MARKET_FACTORY',
  'VITE_MARKET_COLLATERAL',
  'VITE_CHAIN_NAME',
  'VITE_CHAIN_EXPLORER',
])

/** @param {string} name */
export const placeholder = (name) => `__LOCKSTEP_${name}__`
