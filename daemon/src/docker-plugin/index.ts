export { buildDockerPluginApp } from './app.js';
export { dockerPluginEnabled, serveDockerPlugin } from './socket.js';
export { removeDockerUserRules } from './docker-user.js';
