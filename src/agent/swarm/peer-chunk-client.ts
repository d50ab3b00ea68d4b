/**
 * Fetching one chunk from a LAN neighbour's chunk server (./peer-chunk-server.ts): a signed GET
 * (./peer-auth.ts) over a kept-alive connection, a hard size limit (never read more than the
 * manifest says the chunk holds) and a timeout. The answer is classified for the scheduler; the
 * bytes are checked against the chunk's SHA-256 when they are stored (the store refuses a
 * mismatch), so this client never decides that bytes are good.
 */
import { Agent, request } from 'node:http';
import { PEER_CHUNK_PATH_PREFIX } from './peer-chunk-server.js';
import type { ChunkRequestSigner } from './peer-auth.js';

export type ChunkFetchResult =
  | { outcome: 'ok'; bytes: Uint8Array; firstByteMs: number }
  | { outcome: 'badBytes' | 'notFound' | 'busy' | 'failed'; detail: string };

export interface PeerChunkClient {
  fetchChunk(peer: { address: string; port: number }, sha256: string, sizeBytes: number): Promise<ChunkFetchResult>;
  close(): void;
}

export function createPeerChunkClient(o: { signer: ChunkRequestSigner; timeoutMs?: number; socketsPerPeer?: number; now?: () => number }): PeerChunkClient {
  const agent = new Agent({ keepAlive: true, maxSockets: o.socketsPerPeer ?? 4, keepAliveMsecs: 10_000 });
  const timeoutMs = o.timeoutMs ?? 30_000;
  const now = o.now ?? (() => performance.now());
  return {
    fetchChunk(peer, sha256, sizeBytes) {
      const path = `${PEER_CHUNK_PATH_PREFIX}${sha256}`;
      const startedMs = now();
      return new Promise<ChunkFetchResult>((resolve) => {
        let settled = false;
        const done = (r: ChunkFetchResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(r);
        };
        const req = request({ host: peer.address, port: peer.port, path, method: 'GET', agent, headers: o.signer.headers('GET', path) }, (res) => {
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            res.resume();
            // 403: the chunk is in no manifest that neighbour holds (another policy version): not there, for us.
            const outcome = status === 404 || status === 403 ? 'notFound' : status === 503 ? 'busy' : 'failed';
            done({ outcome, detail: `HTTP ${status}` });
            return;
          }
          const firstByteMs = now() - startedMs;
          const declared = Number(res.headers['content-length']);
          if (Number.isFinite(declared) && declared !== sizeBytes) {
            res.destroy();
            done({ outcome: 'badBytes', detail: `content-length ${declared}, the manifest says ${sizeBytes}` });
            return;
          }
          const body = new Uint8Array(sizeBytes);
          let got = 0;
          res.on('data', (part: Buffer) => {
            if (got + part.byteLength > sizeBytes) {
              res.destroy();
              done({ outcome: 'badBytes', detail: `more than the ${sizeBytes} bytes the manifest says` });
              return;
            }
            body.set(part, got);
            got += part.byteLength;
          });
          res.on('end', () => {
            if (got !== sizeBytes) done({ outcome: 'badBytes', detail: `${got} bytes, the manifest says ${sizeBytes}` });
            else done({ outcome: 'ok', bytes: body, firstByteMs });
          });
          res.on('error', (error) => done({ outcome: 'failed', detail: error.message }));
          res.on('aborted', () => done({ outcome: 'failed', detail: 'connection aborted' }));
        });
        const timer = setTimeout(() => {
          req.destroy(new Error(`no complete answer in ${timeoutMs} ms`));
        }, timeoutMs);
        req.on('error', (error: NodeJS.ErrnoException) => done({ outcome: 'failed', detail: error.code ?? error.message }));
        req.end();
      });
    },
    close() {
      agent.destroy();
    },
  };
}
