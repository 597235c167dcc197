import { MemoryEventBus } from '../../src/kernel/bus-memory.ts';
import { busContract } from './bus.contract.ts';

busContract('in-process (MemoryEventBus)', (onError) => new MemoryEventBus(onError));
