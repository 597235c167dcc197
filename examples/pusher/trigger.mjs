// Triggers an event with the Pusher server SDK, pointed at Relaykit.
// Usage: node examples/pusher/trigger.mjs [host:port] [channel] [event] [json-data]
import PusherServer from 'pusher';

const [host = '127.0.0.1:3000', channel = 'chat', event = 'message', data = '{"text":"hello"}'] = process.argv.slice(2);
const [hostname, port] = host.replace('localhost', '127.0.0.1').split(':');
const pusher = new PusherServer({
  appId: 'app-1',
  key: 'app-key',
  secret: 'app-secret',
  host: hostname,
  port,
  useTLS: false,
});
const res = await pusher.trigger(channel, event, JSON.parse(data));
console.log(JSON.stringify({ status: res.status }));
