export { buildDockerPluginApp } from './app.js';
export { dockerPluginEnabled, serveDockerPlugin } from './socket.js';
