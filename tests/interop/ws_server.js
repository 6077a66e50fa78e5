// permessage-deflate peers for tests/compression_interop.rs: node `ws` servers on 127.0.0.1,
// port 0, one per compression setting. Prints one JSON line {name: port, ...} once all listen,
// and exits when its stdin closes (the test process ended).
//
// Every server echoes each message with its type. A text message "fragments:N:TEXT" is answered
// with TEXT sent as a fragmented message of N-byte frames, each compressed (RSV1 on the first).
'use strict';
const { WebSocketServer } = require('ws');

// threshold 0: every message is compressed (ws leaves messages below 1 KiB uncompressed by
// default; "default" keeps that, so mixed compressed and uncompressed messages are covered).
const settings = {
  default: true,
  'no-context-takeover': { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 0 },
  plain: false,
};
for (let bits = 9; bits <= 15; bits++) {
  settings[`bits${bits}`] = { serverMaxWindowBits: bits, clientMaxWindowBits: bits, threshold: 0 };
}

function echo(ws) {
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? null : data.toString();
    if (text !== null && text.startsWith('fragments:')) {
      const [, size, body] = text.match(/^fragments:(\d+):([\s\S]*)$/);
      const n = Number(size);
      for (let i = 0; i < body.length; i += n) {
        const last = i + n >= body.length;
        ws.send(body.slice(i, i + n), { fin: last, binary: false, compress: true });
      }
    } else {
      ws.send(data, { binary: isBinary });
    }
  });
}

const ports = {};
const names = Object.keys(settings);
let listening = 0;
for (const name of names) {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    maxPayload: 64 << 20,
    perMessageDeflate: settings[name],
  });
  server.on('connection', echo);
  server.on('listening', () => {
    ports[name] = server.address().port;
    if (++listening === names.length) {
      process.stdout.write(JSON.stringify(ports) + '\n');
    }
  });
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
