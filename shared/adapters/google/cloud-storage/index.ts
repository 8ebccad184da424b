export { CloudStorageDatasetStore, type CloudStorageDatasetStoreOptions } from "./cloud-storage-dataset-store.js";
