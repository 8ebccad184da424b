import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { EmulatorUnavailable } from "../shared/errors/index.js";
import { packageRoot } from "../shared/package-root.js";

/** A Cloud Storage emulator running in this process: its address (`STORAGE_EMULATOR_HOST`) and how to stop it. */
export interface RunningStorageEmulator {
  readonly kind: "storage";
  /** `http://127.0.0.1:<port>`, as `STORAGE_EMULATOR_HOST` takes it. */
  readonly host: string;
  stop(): void;
}

/** The exact firebase-tools internals used: its emulator starts through modules that may move in any release. */
const FIREBASE_TOOLS = "firebase-tools";

interface StorageEmulatorModules {
  readonly StorageEmulator: new (args: Record<string, unknown>) => object;
  readonly EmulatorRegistry: { set(name: string, emulator: object): void };
  readonly createApp: (projectId: string, emulator: object) => Promise<{ listen(port: number, host: string): Server }>;
}

/**
 * Starts the Firebase Storage emulator of the pinned `firebase-tools` (a development dependency) inside this
 * process, on a free loopback port: its Express app straight from `lib/emulator/storage/server.js`, registered as
 * firebase-tools expects, without `firebase emulators:start` (which wants Java 21 and downloads a rules engine).
 * Its blobs live in a folder of its own, so two emulators on one machine never share or delete each other's.
 * @throws EmulatorUnavailable when firebase-tools is not installed or the emulator does not start.
 */
export async function startStorageEmulator(projectId: string): Promise<RunningStorageEmulator> {
  const modules = loadStorageEmulator();
  const persistence = mkdtempSync(path.join(tmpdir(), "twined-storage-emulator-"));
  // firebase-tools keeps every emulator's blobs in one folder under the system's temporary folder and deletes it on
  // stop; this one gets a folder of its own.
  class IsolatedStorageEmulator extends modules.StorageEmulator {
    getPersistenceTmpDir(): string {
      return persistence;
    }
  }
  try {
    const emulator = new IsolatedStorageEmulator({
      projectId,
      host: "127.0.0.1",
      port: 0,
      rules: [],
      auto_download: false,
    });
    modules.EmulatorRegistry.set("storage", emulator);
    const app = await modules.createApp(projectId, emulator);
    const server = app.listen(0, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    const { port } = server.address() as AddressInfo;
    return {
      kind: "storage",
      host: `http://127.0.0.1:${port}`,
      stop() {
        server.closeAllConnections();
        server.close();
        rmSync(persistence, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(persistence, { recursive: true, force: true });
    throw new EmulatorUnavailable(
      `the Cloud Storage emulator (firebase-tools) did not start: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Whether firebase-tools, which holds the Storage emulator, is installed. */
export function hasStorageEmulator(): boolean {
  try {
    createRequire(path.join(packageRoot(), "package.json")).resolve(`${FIREBASE_TOOLS}/package.json`);
    return true;
  } catch {
    return false;
  }
}

function loadStorageEmulator(): StorageEmulatorModules {
  const require = createRequire(path.join(packageRoot(), "package.json"));
  try {
    const { StorageEmulator } = require(`${FIREBASE_TOOLS}/lib/emulator/storage/index.js`) as Pick<
      StorageEmulatorModules,
      "StorageEmulator"
    >;
    const { EmulatorRegistry } = require(`${FIREBASE_TOOLS}/lib/emulator/registry.js`) as Pick<
      StorageEmulatorModules,
      "EmulatorRegistry"
    >;
    const { createApp } = require(`${FIREBASE_TOOLS}/lib/emulator/storage/server.js`) as Pick<
      StorageEmulatorModules,
      "createApp"
    >;
    return { StorageEmulator, EmulatorRegistry, createApp };
  } catch (error) {
    throw new EmulatorUnavailable(
      `STORAGE_EMULATOR_HOST is not set and the Cloud Storage emulator (the npm package firebase-tools, a development dependency of Twined) is not installed: run 'npm install' in Twined's folder, or point STORAGE_EMULATOR_HOST at a running emulator`,
      { cause: error },
    );
  }
}
