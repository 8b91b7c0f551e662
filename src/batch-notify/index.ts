export { BatchNotifier, withBatchNotifier, type BatchNotifierOptions } from './notifier.js';
export { batchTargets, type BatchTarget, type SlotPicture } from './targets.js';
