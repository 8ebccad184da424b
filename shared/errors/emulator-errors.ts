import { TwinedError } from "./base.js";

/** An emulator that could not be started; the message carries the end of its output. */
export class EmulatorUnavailable extends TwinedError {}
