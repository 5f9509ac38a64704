export type * from './messages.js';
export {
  AUTH,
  HEALTH,
  INVENTORY,
  ORDER,
  PAYMENT,
  type ServiceContract,
} from './services.js';
export {
  protoDir,
  protoPath,
  PROTO_LOADER_OPTIONS,
  type ProtoName,
} from './proto-files.js';
