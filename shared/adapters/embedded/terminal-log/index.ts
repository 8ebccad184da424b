export { type TerminalLoggerOptions, terminalLogger } from "./terminal-logger.js";
