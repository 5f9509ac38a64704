export type * from './messages';
export {
  AUTH,
  HEALTH,
  INVENTORY,
  ORDER,
  PAYMENT,
  type ServiceContract,
} from './services';
export {
  protoDir,
  protoPath,
  PROTO_LOADER_OPTIONS,
  type ProtoName,
} from './proto-files';
