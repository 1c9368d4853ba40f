// @osv-ts/zfs: public contract.
export {};
