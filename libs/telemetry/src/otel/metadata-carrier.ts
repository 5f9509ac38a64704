import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

/** What propagation needs of gRPC metadata (grpc-js `Metadata`), without importing grpc-js. */
export interface MetadataLike {
  get(key: string): unknown[];
  set(key: string, value: string): void;
}

/** Reads a text header from gRPC metadata; a binary value is not a W3C header and reads as absent. */
export const METADATA_GETTER: TextMapGetter<MetadataLike> = {
  keys: () => [],
  get: (metadata, key) => {
    const [value] = metadata.get(key);
    return typeof value === 'string' ? value : undefined;
  },
};

export const METADATA_SETTER: TextMapSetter<MetadataLike> = {
  set: (metadata, key, value) => metadata.set(key, value),
};
