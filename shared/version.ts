/** This package's version; kept equal to package.json's by a test. Sent as `sender_sdk_version` and used for `twined_version` checks. */
export const TWINED_VERSION = "0.1.0";
