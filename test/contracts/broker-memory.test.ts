import { MemoryBroker, MemoryBrokerNetwork } from '../../src/cluster/broker-memory.ts';
import { brokerContract } from './broker.contract.ts';

brokerContract('in-process (MemoryBroker)', async ({ onError }) => {
  const network = new MemoryBrokerNetwork();
  return [new MemoryBroker(network, onError), new MemoryBroker(network, onError)];
});
