/**
 * A site's WAN bandwidth as the console edits it: Mbit/s in the form, bytes/s in the API
 * (1 Mbit/s = 125000 bytes/s), "no cap" as null. Pure, so the rules are tested without a page.
 */
import { defaultSiteWan, maxWanCapBytesPerSecond, minWanCapBytesPerSecond, type SiteWan } from '../../../src/contract/schemas.js';

export const bytesPerMbit = 125_000;
export const minCapMbit = minWanCapBytesPerSecond / bytesPerMbit;
export const maxCapMbit = maxWanCapBytesPerSecond / bytesPerMbit;

/** What the form holds. */
export interface WanForm {
  capMbit: string;
  noCap: boolean;
  adaptive: boolean;
}

/** "20", "0.5": the cap in Mbit/s as typed; empty for no cap. */
export function mbitText(capBytesPerSecond: number | null): string {
  if (capBytesPerSecond === null) return '';
  const mbit = capBytesPerSecond / bytesPerMbit;
  return String(Number.isInteger(mbit) ? mbit : Number(mbit.toFixed(3)));
}

export function wanFormOf(wan: SiteWan | undefined): WanForm {
  const w = wan ?? defaultSiteWan;
  return { capMbit: mbitText(w.capBytesPerSecond), noCap: w.capBytesPerSecond === null, adaptive: w.adaptive };
}

/** The API's wan for the form, or the message for the cap field. */
export function wanOfForm(form: WanForm): { wan: SiteWan; error?: undefined } | { wan?: undefined; error: string } {
  if (form.noCap) return { wan: { capBytesPerSecond: null, adaptive: form.adaptive } };
  const text = form.capMbit.trim().replace(',', '.');
  const mbit = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(mbit >= minCapMbit && mbit <= maxCapMbit)) {
    return { error: text === '' ? 'Enter a cap in Mbit/s, or choose No cap' : `Must be a number of Mbit/s from ${minCapMbit} to ${maxCapMbit}` };
  }
  return { wan: { capBytesPerSecond: Math.round(mbit * bytesPerMbit), adaptive: form.adaptive } };
}

/** One line for the site list: "WAN: 20 Mbit/s cap, adaptive" / "WAN: no cap, not adaptive". */
export function wanSummary(wan: SiteWan | undefined): string {
  const w = wan ?? defaultSiteWan;
  const cap = w.capBytesPerSecond === null ? 'no cap' : `${mbitText(w.capBytesPerSecond)} Mbit/s cap`;
  return `WAN: ${cap}, ${w.adaptive ? 'adaptive' : 'not adaptive'}`;
}
