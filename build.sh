#!/usr/bin/env bash
# Publishes the Native AOT preconfig binary (libc only) to dist/preconfig.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dotnet publish "$here/src/Cli/Preconfig.Cli.csproj" -c Release -r linux-x64 -o "$here/dist" --nologo -v q -clp:ErrorsOnly "$@"
rm -f "$here/dist/"*.dbg "$here/dist/"*.pdb
echo "built $here/dist/preconfig ($(du -k "$here/dist/preconfig" | cut -f1) KiB)"
