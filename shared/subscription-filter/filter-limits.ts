/** Pub/Sub refuses filters longer than this many UTF-8 bytes. */
export const MAX_FILTER_BYTES = 256;
