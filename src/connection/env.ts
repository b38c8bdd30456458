// Kept only while src/index.ts exports connectionConfigFromEnv from this path: the function reads
// Azure's AMR_* variables and builds Entra ID auth, so it lives in src/azure/env.ts (`/azure` entry).
export { CONNECTION_ENV_VARS, connectionConfigFromEnv } from '../azure/env.js';
