// A pusher-js client, configured exactly as for Pusher or soketi except for the host.
// Usage: node examples/pusher/client.mjs [host:port] [user-id]
// Prints one JSON line per event it receives, after a first {"connected": socketId} line.
import PusherServer from 'pusher';
import Pusher from 'pusher-js';

const [host = '127.0.0.1:3000', userId = 'ada'] = process.argv.slice(2);
const [wsHost, port] = host.replace('localhost', '127.0.0.1').split(':');

// Your backend signs private and presence subscriptions (Laravel: /broadcasting/auth).
// The example signs in-process with the server SDK to stay one file.
const backend = new PusherServer({ appId: 'app-1', key: 'app-key', secret: 'app-secret', host: wsHost, port });

const pusher = new Pusher('app-key', {
  cluster: 'mt1',
  wsHost,
  wsPort: Number(port),
  forceTLS: false,
  enabledTransports: ['ws'],
  disableStats: true,
  channelAuthorization: {
    endpoint: '/broadcasting/auth',
    transport: 'ajax',
    customHandler: ({ socketId, channelName }, callback) =>
      callback(null, backend.authorizeChannel(socketId, channelName, { user_id: userId, user_info: { name: userId } })),
  },
});

const print = (channel) => (event, data) => {
  if (event === 'pusher:subscription_succeeded') return;
  console.log(JSON.stringify({ channel, event, data }));
};

pusher.connection.bind('connected', () => {
  console.log(JSON.stringify({ connected: pusher.connection.socket_id }));
  for (const name of ['chat', 'private-orders', 'presence-lobby']) pusher.subscribe(name).bind_global(print(name));
});
