/** `larder/memory`: the in-process LRU store. */
export { type MemoryStore, type MemoryStoreOptions, memoryStore } from './memory-store.js';
