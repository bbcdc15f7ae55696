// Kept equal to package.json's "version" by test/client.test.js.
export const VERSION = "0.1.0";
