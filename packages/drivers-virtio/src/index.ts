// @osv-ts/drivers-virtio: public contract.
export {};
