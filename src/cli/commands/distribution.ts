/**
 * `peerboot distribution`: how far each package has spread, per site — progress bars from the
 * agents' own readiness reports (chunks verified / chunks wanted), through the API.
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { parseDecimalFlag, parseFlagsAndOperands } from '../options.js';
import { connect, explainFailures } from '../server-connection.js';
import { renderDistribution, summarizeDistribution } from '../distribution-progress.js';

const usage = `Usage: peerboot distribution [--site ID] [--package ID] [--watch [SECONDS]] [--json] [--server URL] [--token T]

Per site and package: how many of the site's agents hold the package (ready = every chunk
verified) and the share of chunks held, from the agents' status reports. --watch redraws every
SECONDS (default 2) until interrupted; --json prints the numbers instead of bars.
`;

export const distributionCommand: Command = {
  name: 'distribution',
  summary: 'Package distribution progress per site (progress bars from the agents\' readiness reports)',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlagsAndOperands('distribution', argv, {
      site: { type: 'string' }, package: { type: 'string' }, watch: { type: 'boolean' }, json: { type: 'boolean' }, server: { type: 'string' }, token: { type: 'string' }, config: { type: 'string' },
    });
    if (!values.watch && positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const everySeconds = positionals.length > 0 ? parseDecimalFlag('--watch', positionals[0]!, { above: 0, noun: 'number of seconds' }) : 2;
    const client = connect(values as { server?: string; token?: string; config?: string });
    const server = client.urlOf('health').replace(/\/healthz$/, '');
    const once = () => explainFailures(server, async () => {
      const [agents, sites, packages] = await Promise.all([
        client.call('listAgents', { query: { limit: 10000, ...(values.site ? { siteId: values.site as string } : {}) } }),
        client.call('listSites', {}),
        client.call('listPackages', {}),
      ]);
      return summarizeDistribution(agents, sites, packages, { siteId: values.site as string | undefined, packageId: values.package as string | undefined });
    });
    if (!values.watch) {
      const summary = await once();
      process.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : `${renderDistribution(summary) || 'no agents'}\n`);
      return 0;
    }
    let stop = false;
    process.once('SIGINT', () => { stop = true; });
    while (!stop) {
      const text = renderDistribution(await once()) || 'no agents';
      process.stdout.write(process.stdout.isTTY ? `\x1b[H\x1b[2J${text}\n` : `${text}\n\n`);
      await new Promise((r) => setTimeout(r, everySeconds * 1000));
    }
    return 0;
  },
};
