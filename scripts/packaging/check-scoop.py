"""Reads back the Scoop manifest scripts/package-manifests writes, as JSON; checks one thing of it.

Used by scripts/test-package-manifests.

Usage: python3 scripts/packaging/check-scoop.py CHECK MANIFEST ARCHIVE_DIR RELEASES_URL VERSION

  fields  version, description, homepage, license, bin, checkver and autoupdate are there
  urls    architecture.64bit's url, hash and extract_dir are the Windows archive in ARCHIVE_DIR
          (RELEASES_URL/ARCHIVE, the checksum in ARCHIVE.sha256), and autoupdate's are the same
          with $version for the version

Prints what disagrees and exits 1, or exits 0.
"""

import json
import pathlib
import sys


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    check, manifest, archive_dir, releases, version = sys.argv[1:]
    problems = []
    try:
        data = json.loads(pathlib.Path(manifest).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"  scoop: {manifest} is not JSON: {error}")
        sys.exit(1)
    name = f"miauth-x86_64-pc-windows-msvc-v{version}.zip"
    arch = data.get("architecture", {}).get("64bit", {})
    auto = data.get("autoupdate", {})

    if check == "fields":
        for field in ("version", "description", "homepage", "license", "bin", "checkver"):
            if not data.get(field):
                problems.append(f"no {field}")
        if data.get("version") != version:
            problems.append(f"version {data.get('version')!r} is not {version}")
        if data.get("license") != "MIT|Apache-2.0":
            problems.append(f"license {data.get('license')!r}")
        if data.get("bin") != "miauth.exe":
            problems.append(f"bin {data.get('bin')!r}")
        github = data.get("checkver", {}).get("github", "")
        if not github.startswith("https://github.com/"):
            problems.append(f"checkver.github {github!r} is not a GitHub repository")
        for field in ("url", "hash", "extract_dir"):
            if not arch.get(field):
                problems.append(f"no architecture.64bit.{field}")
        if not auto:
            problems.append("no autoupdate")
        if auto.get("hash", {}).get("url") != "$url.sha256":
            problems.append("autoupdate.hash.url is not $url.sha256, the archive's checksum")
    elif check == "urls":
        sum_file = pathlib.Path(archive_dir, name + ".sha256")
        fields = sum_file.read_text(encoding="utf-8").split() if sum_file.exists() else []
        expected_hash = fields[0].lower() if fields else f"(no {sum_file.name})"
        expected = {
            "url": f"{releases}/{name}",
            "hash": expected_hash,
            "extract_dir": name.removesuffix(".zip"),
        }
        for field, value in expected.items():
            if arch.get(field) != value:
                problems.append(f"architecture.64bit.{field} {arch.get(field)!r}, not {value!r}")
        auto_arch = auto.get("architecture", {}).get("64bit", {})
        for field in ("url", "extract_dir"):
            pattern = auto_arch.get(field, "")
            if "$version" not in pattern or pattern.replace("$version", version) != expected[field]:
                problems.append(
                    f"autoupdate.architecture.64bit.{field} {pattern!r} is not"
                    f" {expected[field]!r} with $version"
                )
    else:
        sys.exit(f"unknown check {check}")

    for problem in problems:
        print(f"  scoop: {problem}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
