import { MemoryStorage } from '../../core/storage/memory.js';
import { describeStorageConformance } from './storage.js';

describeStorageConformance('memory', async () => {
  const storage = new MemoryStorage();
  return { storage, cleanup: () => storage.close() };
});
