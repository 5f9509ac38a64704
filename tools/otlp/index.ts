export { OtlpReceiver } from './otlp-receiver.js';
