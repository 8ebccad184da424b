export { FolderDatasetStore, type FolderDatasetStoreOptions } from "./folder-dataset-store.js";
