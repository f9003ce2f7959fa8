/**
 * Real daily market history (CoinGecko, 2021, MIT: ../shared/history/coingecko-daily-2021/LICENSE),
 * for tests, the fake CoinGecko server and benchmarks.
 *
 * The archive is a plain ustar file of one CSV per coin. It is read with a few lines of tar parsing
 * rather than a dependency: only regular files with short names occur in it.
 */
import { gunzipSync } from "node:zlib";

export const HISTORY_DIR = new URL("../../../shared/history/coingecko-daily-2021/", import.meta.url);

export interface HistoryPoint {
  /** ms since the epoch, UTC midnight */
  time: number;
  price: number;
  marketCap: number | null;
  totalVolume: number | null;
}

export interface CoinInfo {
  id: string;
  symbol: string;
  name: string;
}

let archive: Map<string, string> | undefined;

function readArchive(): Map<string, string> {
  if (archive) return archive;
  const bytes = gunzipSync(Deno.readFileSync(new URL("coins.tar.gz", HISTORY_DIR)));
  const decoder = new TextDecoder();
  const files = new Map<string, string>();
  for (let offset = 0; offset + 512 <= bytes.length;) {
    const header = bytes.subarray(offset, offset + 512);
    const name = decoder.decode(header.subarray(0, 100)).replace(/\0.*$/s, "");
    if (!name) break; // two zero blocks end the archive
    const size = parseInt(decoder.decode(header.subarray(124, 136)).replace(/\0.*$/s, "").trim() || "0", 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const body = offset + 512;
    if ((type === "0" || type === "\0") && name.endsWith(".csv")) {
      const id = name.replace(/^.*\//, "").replace(/\.csv$/, "");
      files.set(id, decoder.decode(bytes.subarray(body, body + size)));
    }
    offset = body + Math.ceil(size / 512) * 512;
  }
  archive = files;
  return files;
}

function parseNumber(text: string | undefined): number | null {
  if (text === undefined || text === "" || text === "null") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** All coin ids in the archive (2,496). */
export function historyCoinIds(): string[] {
  return [...readArchive().keys()].sort();
}

/** The daily points of one coin, sorted by time, without rows lacking a price. */
export function loadHistory(coinId: string): HistoryPoint[] {
  const csv = readArchive().get(coinId);
  if (csv === undefined) throw new Error(`no history for coin '${coinId}'`);
  const points: HistoryPoint[] = [];
  for (const line of csv.split("\n").slice(1)) {
    if (!line.trim()) continue;
    // timestamp,"readable, with a comma",coinId,price,marketCap,totalVolume
    const match = /^(\d+),"[^"]*",[^,]*,([^,]*),([^,]*),([^,\r]*)/.exec(line);
    if (!match) continue;
    const price = parseNumber(match[2]);
    if (price === null) continue;
    points.push({
      time: Number(match[1]),
      price,
      marketCap: parseNumber(match[3]),
      totalVolume: parseNumber(match[4]),
    });
  }
  return points.sort((a, b) => a.time - b.time);
}

/** id, symbol and name of the 500 largest coins of the set, largest first. */
export function historyCoinList(): CoinInfo[] {
  const text = Deno.readTextFileSync(new URL("coinlist.csv", HISTORY_DIR));
  return text.split("\n").slice(1).filter((l) => l.trim()).map((line) => {
    const [id = "", symbol = "", ...name] = line.split(",");
    return { id, symbol, name: name.join(",").replace(/^"|"$/g, "") };
  });
}
