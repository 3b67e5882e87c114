/**
 * A small FHIR audit record repository for the feed test: accepts batch Bundles of
 * `PUT AuditEvent/<id>` on POST, keeps every arrival (so duplicates stay visible) and the latest
 * resource per id, and can be taken down and brought back on the same port.
 */
import { createServer, type Server } from 'node:http';

export interface Arrival {
  id: string;
  resource: Record<string, unknown>;
}

export class FhirReceiver {
  readonly arrivals: Arrival[] = [];
  readonly byId = new Map<string, Record<string, unknown>>();
  posts = 0;
  authorization: string | undefined;
  private server: Server | null = null;

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/fhir`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.posts++;
        this.authorization = req.headers.authorization;
        let bundle: {
          resourceType?: string;
          type?: string;
          entry?: { resource: Record<string, unknown>; request: { method: string; url: string } }[];
        };
        try {
          bundle = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          res.writeHead(400).end();
          return;
        }
        if (req.method !== 'POST' || bundle.resourceType !== 'Bundle' || bundle.type !== 'batch') {
          res.writeHead(400).end();
          return;
        }
        const responses = (bundle.entry ?? []).map((e) => {
          const id = String(e.resource.id);
          const created = !this.byId.has(id);
          this.arrivals.push({ id, resource: e.resource });
          this.byId.set(id, e.resource);
          return { response: { status: created ? '201 Created' : '200 OK', location: `AuditEvent/${id}` } };
        });
        const body = JSON.stringify({ resourceType: 'Bundle', type: 'batch-response', entry: responses });
        res.writeHead(200, { 'content-type': 'application/fhir+json' }).end(body);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    if (s === null) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
