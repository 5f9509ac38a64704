export { Nginx, renderNginxSite, type NginxOptions } from './nginx.js';
export {
  Haproxy,
  renderHaproxyConfig,
  type HaproxyOptions,
} from './haproxy.js';
export { ProxyProcess, type ProxyProcessOptions } from './proxy-process.js';
