export { Nginx, renderNginxSite, type NginxOptions } from './nginx';
export { Haproxy, renderHaproxyConfig, type HaproxyOptions } from './haproxy';
export { ProxyProcess, type ProxyProcessOptions } from './proxy-process';
