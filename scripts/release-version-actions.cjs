// nx release's "version actions" for our npm packages (nx.json release.version.versionActions):
// read and write the version in package.json and the exact versions the packages pin each
// other at. nx ships this for JavaScript in @nx/js, whose ~175 dependencies (Babel and its
// presets) would come with every `npm ci` only for this; the extension point is nx's own
// (VersionActions from nx/release), and what a release does with these manifests is small.
'use strict';
const { join } = require('node:path');
const { VersionActions } = require('nx/release');

const COLLECTIONS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];

class PackageJsonVersionActions extends VersionActions {
  validManifestFilenames = ['package.json'];

  manifest(tree) {
    return JSON.parse(tree.read(join(this.projectGraphNode.data.root, 'package.json'), 'utf-8'));
  }

  write(tree, data) {
    tree.write(join(this.projectGraphNode.data.root, 'package.json'), JSON.stringify(data, null, 2) + '\n');
  }

  async readCurrentVersionFromSourceManifest(tree) {
    return {
      currentVersion: this.manifest(tree).version,
      manifestPath: join(this.projectGraphNode.data.root, 'package.json'),
    };
  }

  // The release reads versions from git tags (falling back to package.json before the first
  // release), never from the registry.
  async readCurrentVersionFromRegistry() {
    return null;
  }

  async readCurrentVersionOfDependency(tree, projectGraph, dependencyProjectName) {
    const name = projectGraph.nodes[dependencyProjectName]?.data.metadata?.js?.packageName ?? dependencyProjectName;
    const data = this.manifest(tree);
    for (const collection of COLLECTIONS) {
      const spec = data[collection]?.[name];
      if (spec !== undefined) return { currentVersion: spec, dependencyCollection: collection };
    }
    return { currentVersion: null, dependencyCollection: null };
  }

  async updateProjectVersion(tree, newVersion) {
    const data = this.manifest(tree);
    data.version = newVersion;
    this.write(tree, data);
    return [`New version ${newVersion} written to ${join(this.projectGraphNode.data.root, 'package.json')}`];
  }

  // Our packages pin each other exactly ("0.1.0"), so a dependency's new version replaces the
  // old one as it stands.
  async updateProjectDependencies(tree, projectGraph, dependenciesToUpdate) {
    const data = this.manifest(tree);
    const logs = [];
    for (const [project, version] of Object.entries(dependenciesToUpdate)) {
      const name = projectGraph.nodes[project]?.data.metadata?.js?.packageName ?? project;
      for (const collection of COLLECTIONS) {
        const current = data[collection]?.[name];
        if (current === undefined || current === version) continue;
        data[collection][name] = version;
        logs.push(`${collection}: ${name} ${version}`);
      }
    }
    if (logs.length > 0) this.write(tree, data);
    return logs;
  }
}

module.exports = PackageJsonVersionActions;
module.exports.default = PackageJsonVersionActions;
