// SPDY/3.1 flow-control constants shared by sessions and streams.

export const DEFAULT_WINDOW = 64 * 1024;
/** Consumed bytes are returned to the peer once half a window has been read. */
export const ACK_THRESHOLD = DEFAULT_WINDOW / 2;
