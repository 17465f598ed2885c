/**
 * The part of the WebAssembly JavaScript API that Strata uses (the histogram kernel of
 * src/ml/boosting). Node has it as a global; @types/node 20 does not declare it, and the DOM
 * library would bring a browser's globals with it.
 */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    /** A SharedArrayBuffer for a shared memory. */
    readonly buffer: ArrayBuffer;
  }
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
