// Reading a bundle for linked code: declarations count, mere mentions do not.
import { describe, expect, it } from 'vitest';
import { declaredNames, linkedNames } from './kernel-contents.js';

describe('kernel contents', () => {
  it('finds the classes and functions a package declares', () => {
    const names = declaredNames('packages/netstack/src');
    expect(names).toContain('TcpSocket');
    expect(names).toContain('parseDhcp');
    expect(names).not.toContain('TcpSocketOptions');
  });

  it('finds declarations in minified bundles and ignores other mentions', () => {
    const names = ['TcpSocket', 'parseDhcp', 'Vfs'];
    expect(linkedNames('var TcpSocket=class extends Socket{};function parseDhcp(b){}', names)).toEqual([
      'TcpSocket',
      'parseDhcp',
    ]);
    expect(linkedNames('class Vfs{}', names)).toEqual(['Vfs']);
    expect(linkedNames('const s="no TcpSocket here";x.parseDhcp();VfsService', names)).toEqual([]);
  });
});
