/**
 * The P2P PXE settings editor: the boot toolkit (which profile's package every responder keeps,
 * and importing it), unknown-computer support and the profile unknown machines get, the target
 * collections (drag and drop, or Add/Remove), and Enable/Disable showing the current state. Saving
 * writes PUT /api/v1/pxe-settings; the server pushes the new policy to every agent at once.
 */
import { useState } from 'react';
import type { BootProfile, Collection, PxeSettings, PxeSettingsUpdate } from '../../../src/contract/schemas.js';
import { useConsoleApi } from '../api/console-api.js';
import { useDraft } from '../api/drafts.js';
import { fieldMessage, formMessage } from '../api/field-errors.js';
import { importToolkit, type ImportProgress } from '../api/toolkit-import.js';
import { useQuery } from '../api/use-query.js';
import { Field, FormError } from '../components/field.js';
import { LoadError, Loading } from '../components/state-views.js';
import { Badge } from '../components/status-badge.js';
import { TargetCollections } from '../components/target-collections.js';
import { agentStateOf, formatBytes } from '../model/agent-state.js';
import { hrefOf } from '../route.js';

type Draft = Omit<PxeSettingsUpdate, 'enabled'>;

const fields = ['body.targetCollectionIds', 'body.unknownComputers', 'body.toolkitProfileId'] as const;

function draftOf(s: PxeSettings): Draft {
  return { targetCollectionIds: s.targetCollectionIds, unknownComputers: s.unknownComputers, toolkitProfileId: s.toolkitProfileId };
}

export function PxeSettingsPage() {
  const { client } = useConsoleApi();
  const settings = useQuery((signal) => client.call('getPxeSettings', {}, { signal }), [], { refreshMs: 15_000 });
  const collections = useQuery((signal) => client.call('listCollections', {}, { signal }), [], { refreshMs: 15_000 });
  const profiles = useQuery((signal) => client.call('listProfiles', {}, { signal }), []);
  const failed = settings.error ?? collections.error ?? profiles.error;
  return (
    <div className="page">
      <h1>P2P PXE settings</h1>
      {settings.data && collections.data && profiles.data
        ? <Editor settings={settings.data} collections={collections.data} profiles={profiles.data} onSaved={() => { settings.reload(); profiles.reload(); }} reloadProfiles={profiles.reload} />
        : failed ? <LoadError error={failed} what="the settings" onRetry={() => { settings.reload(); collections.reload(); profiles.reload(); }} />
          : <Loading what="the settings" />}
    </div>
  );
}

function Editor(props: { settings: PxeSettings; collections: Collection[]; profiles: BootProfile[]; onSaved(): void; reloadProfiles(): void }) {
  const { client } = useConsoleApi();
  // The PUT answer is the current state at once; a later read (another admin's change) wins by revision.
  const [answered, setAnswered] = useState<PxeSettings | null>(null);
  const current = answered && answered.revision >= props.settings.revision ? answered : props.settings;
  const saved = draftOf(current);
  const [draft, setDraft, discard, dirty] = useDraft<Draft>('pxe-settings', saved);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<null | 'save' | 'toggle'>(null);
  const [result, setResult] = useState<string | null>(null);
  const enabled = current.enabled;

  const put = async (nextEnabled: boolean, kind: 'save' | 'toggle') => {
    setBusy(kind);
    setError(null);
    setResult(null);
    try {
      const body: PxeSettingsUpdate = { enabled: nextEnabled, ...draft };
      const s = await client.call('putPxeSettings', { body });
      setAnswered(s);
      discard(draftOf(s));
      setResult(kind === 'toggle'
        ? `P2P PXE ${s.enabled ? 'enabled' : 'disabled'} (revision ${s.revision}); the new policy is being pushed to the agents.`
        : `Saved (revision ${s.revision}); the new policy is being pushed to the agents.`);
      props.onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const unknownProfileError = fieldMessage(error, 'body.unknownComputers');
  const targetsError = fieldMessage(error, 'body.targetCollectionIds');
  return (
    <>
      <section className="panel state-panel" aria-labelledby="state-title">
        <div>
          <h2 id="state-title">P2P PXE is <span data-testid="pxe-state">{enabled ? 'Enabled' : 'Disabled'}</span> {enabled ? <Badge tone="good">on</Badge> : <Badge tone="muted">off</Badge>}</h2>
          <p className="muted">
            {enabled ? 'Members of the target collections answer PXE requests on their subnets.' : 'No agent answers PXE requests. Enable to make the members of the target collections responders.'}
            {dirty && ' Your unsaved changes below are applied with it.'}
          </p>
          <ResponderSummary key={current.revision} />
        </div>
        <button
          type="button"
          className={enabled ? 'button-danger' : 'button-primary button-large'}
          onClick={() => put(!enabled, 'toggle')}
          disabled={busy !== null}
        >
          {busy === 'toggle' ? (enabled ? 'Disabling…' : 'Enabling…') : enabled ? 'Disable' : 'Enable'}
        </button>
      </section>
      {result && <div className="notice notice-good" role="status">{result}</div>}
      <FormError message={formMessage(error, fields)} />

      <section className="panel" aria-labelledby="targets-heading">
        <h2 id="targets-heading">Target collections</h2>
        <TargetCollections
          collections={props.collections}
          targetIds={draft.targetCollectionIds}
          onChange={(ids) => setDraft((d) => ({ ...d, targetCollectionIds: ids }))}
          error={targetsError}
          errorId="targets-error"
        />
        <p className="muted"><a href={hrefOf('collections')}>Create or edit collections →</a></p>
      </section>

      <div className="columns">
        <section className="panel" aria-labelledby="unknown-title">
          <h2 id="unknown-title">Unknown computers</h2>
          <div className="checkbox">
            <input
              id="unknown-enabled"
              type="checkbox"
              checked={draft.unknownComputers.enabled}
              onChange={(e) => setDraft((d) => ({ ...d, unknownComputers: { ...d.unknownComputers, enabled: e.target.checked } }))}
            />
            <label htmlFor="unknown-enabled">Answer computers that are not known (no machine record for their MAC or SMBIOS UUID)</label>
          </div>
          <Field label="Boot profile unknown computers get" error={unknownProfileError} hint="Typically a WinPE or discovery image that registers the machine.">
            {(c) => (
              <select {...c} value={draft.unknownComputers.profileId ?? ''} disabled={!draft.unknownComputers.enabled}
                onChange={(e) => setDraft((d) => ({ ...d, unknownComputers: { ...d.unknownComputers, profileId: e.target.value || null } }))}>
                <option value="">— none —</option>
                {props.profiles.map((p) => <option key={p.id} value={p.id}>{p.name} ({p.kind})</option>)}
              </select>
            )}
          </Field>
        </section>

        <section className="panel" aria-labelledby="toolkit-title">
          <h2 id="toolkit-title">Boot toolkit</h2>
          <Field label="Toolkit profile" error={fieldMessage(error, 'body.toolkitProfileId')} hint="Every responder keeps this profile's package (the network boot programs), so it can answer any PXE client.">
            {(c) => (
              <select {...c} value={draft.toolkitProfileId ?? ''} onChange={(e) => setDraft((d) => ({ ...d, toolkitProfileId: e.target.value || null }))}>
                <option value="">— none —</option>
                {props.profiles.map((p) => <option key={p.id} value={p.id}>{p.name} ({p.kind})</option>)}
              </select>
            )}
          </Field>
          <ToolkitLocation profile={props.profiles.find((p) => p.id === draft.toolkitProfileId) ?? null} onImported={props.reloadProfiles} />
          {props.profiles.length === 0 && <p className="muted">No boot profiles yet: <a href={hrefOf('packages')}>create one</a> (linux, ipxe or windows), then import its files here.</p>}
        </section>
      </div>

      <div className="form-actions sticky-actions">
        <button type="button" className="button-primary" disabled={!dirty || busy !== null} onClick={() => put(enabled, 'save')}>{busy === 'save' ? 'Saving…' : 'Save changes'}</button>
        <button type="button" className="button-quiet" disabled={!dirty || busy !== null} onClick={() => { discard(saved); setError(null); }}>Discard changes</button>
        {dirty ? <span className="muted">Unsaved changes (kept if you leave this page)</span> : <span className="muted">Revision {current.revision}, saved {new Date(current.updatedAt).toLocaleString()}</span>}
      </div>
    </>
  );
}

/** How many agents the settings make responders, and how many answer PXE now. */
function ResponderSummary() {
  const { client, connection } = useConsoleApi();
  const agents = useQuery((signal) => client.call('listAgents', { query: { limit: 10000 } }, { signal }), [], { refreshMs: 3000 });
  if (!agents.data) return null;
  const now = connection.serverNowMs();
  const responders = agents.data.filter((a) => a.role === 'responder').length;
  const serving = agents.data.filter((a) => agentStateOf(a, now).state === 'serving').length;
  return <p className="responder-summary" role="status">{responders} of {agents.data.length} agents are responders · {serving} serving now · <a href={hrefOf('agents')}>see agents</a></p>;
}

/** Where the toolkit comes from: the profile's package, and an import from a local folder. */
function ToolkitLocation(props: { profile: BootProfile | null; onImported(): void }) {
  const { client } = useConsoleApi();
  const pkg = useQuery((signal) => (props.profile?.packageId ? client.call('getPackage', { params: { id: props.profile.packageId } }, { signal }) : Promise.resolve(null)), [props.profile?.packageId]);
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [message, setMessage] = useState<{ tone: 'good' | 'bad'; text: string } | null>(null);
  if (!props.profile) return null;
  const profile = props.profile;
  const onPick = async (files: FileList | null) => {
    if (!files || files.length === 0) return;
    setMessage(null);
    try {
      const r = await importToolkit(client, profile, [...files], setProgress);
      setMessage({ tone: 'good', text: `Imported ${r.manifest.name}@${r.manifest.version}: ${r.manifest.files.length} files, ${r.chunksUploaded} of ${r.chunksTotal} chunks uploaded (the rest were already stored). Responders fetch it from their peers.` });
      props.onImported();
    } catch (err) {
      setMessage({ tone: 'bad', text: (err as Error).message });
    } finally {
      setProgress(null);
    }
  };
  const m = pkg.data?.manifest;
  return (
    <div className="toolkit">
      <p>
        <strong>Location:</strong>{' '}
        {profile.packageId ? (m ? <>package <span className="mono">{m.name}@{m.version}</span>, {m.files.length} files, {formatBytes(m.files.reduce((n, f) => n + f.sizeBytes, 0))}</> : <span className="mono">{profile.packageId}</span>) : <Badge tone="warn">no package imported</Badge>}
      </p>
      {m && <ul className="file-list">{m.files.map((f) => <li key={f.path}><span className="mono">{f.path}</span> <span className="muted">{formatBytes(f.sizeBytes)}</span></li>)}</ul>}
      <div className="field">
        <label htmlFor="toolkit-folder">Import toolkit files from a folder</label>
        {/* webkitdirectory: pick a whole folder (an ADK/WinPE tree, or /usr/lib/ipxe). */}
        <input id="toolkit-folder" type="file" multiple {...{ webkitdirectory: '' }} onChange={(e) => { void onPick(e.target.files); e.target.value = ''; }} disabled={progress !== null} aria-describedby="toolkit-hint" />
        <div className="field-hint" id="toolkit-hint">Needs: {[profile.files.bios, profile.files.uefiX64, profile.files.arm64, profile.kernel, ...profile.initrd, ...profile.extraFiles].filter(Boolean).join(', ')}. Large images import faster with <span className="mono">peerboot package import</span>.</div>
      </div>
      {progress && <div role="status" className="muted">{progress.phase === 'hashing' ? 'Hashing' : progress.phase === 'uploading' ? 'Uploading' : 'Recording the package'}… {formatBytes(progress.bytesDone)} of {formatBytes(progress.bytesTotal)}</div>}
      {message && <div className={message.tone === 'good' ? 'notice notice-good' : 'form-error'} role={message.tone === 'good' ? 'status' : 'alert'}>{message.text}</div>}
    </div>
  );
}
