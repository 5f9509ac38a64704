export { OtlpReceiver } from './otlp-receiver';
