export { buildCniApp, CNI_EXEC_PATH } from './app.js';
