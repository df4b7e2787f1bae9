// The bare-HTTP limit: a Fastify server that parses the same JSON body under the same body
// limit and answers Beacon's success envelope, storing nothing. Prints its port on stdout.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/customers', async () => ({ success: true, code: 200, data: null }));
app.get('/healthz', async () => ({ success: true, code: 200, data: null }));
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
