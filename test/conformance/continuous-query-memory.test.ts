import { MemoryStorage } from '../../core/storage/memory.js';
import { describeContinuousQuery } from './continuous-query.js';

describeContinuousQuery('memory', async () => {
  const storage = new MemoryStorage();
  return { storage, cleanup: () => storage.close() };
});
