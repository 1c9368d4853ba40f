// @osv-ts/vmm: public contract.
export {};
