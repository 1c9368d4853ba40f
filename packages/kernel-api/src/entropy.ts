/** A source of random bytes (virtio-rng, the host CSPRNG, or a seeded PRNG in simulations). */
export interface Entropy {
  /** Fills `buf` completely with random bytes. */
  fill(buf: Uint8Array): void;
}
