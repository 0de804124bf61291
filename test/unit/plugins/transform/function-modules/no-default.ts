// Not a processor module: nothing is exported by default.
export const notAProcessor = 1;
