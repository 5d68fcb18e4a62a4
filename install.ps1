<#
miauth's one-line installer for Windows (Windows PowerShell 5.1 and PowerShell 7): downloads
the release archive for Windows x86_64 with its .sha256, refuses it when the checksum does not
match, and installs miauth.exe, atomically. The same steps, names and exit codes as install.sh,
the installer for Linux and macOS.

Usage:
  irm https://github.com/OWNER/miauth/releases/latest/download/install.ps1 | iex
  powershell -ExecutionPolicy Bypass -File install.ps1 [-Quiet] [-Help]

Picks miauth-x86_64-pc-windows-msvc-vVERSION.zip (Windows on Arm runs it through its x64
emulation), downloads it and its .sha256, checks the SHA-256 with Get-FileHash, runs the binary
once (miauth --version), then copies it into a temporary file in the install folder and renames
it over miauth.exe: an existing miauth.exe is replaced whole or not at all, and nothing is left
behind when anything fails. Installs the binary alone.

Options:
  -Quiet   print nothing but errors (also MIAUTH_QUIET=1)
  -Help    print this help

Environment:
  MIAUTH_VERSION      the release to install, e.g. 0.1.0 (a leading v is allowed)
                      [default: the latest, read from the VERSION file every release has]
  MIAUTH_RELEASES     where the archives are: an http(s) URL or a local folder holding
                      miauth-x86_64-pc-windows-msvc-vVERSION.zip, its .sha256 and, for the
                      latest version, VERSION
                      [default: https://github.com/OWNER/REPO/releases/download/vVERSION, the
                      latest version read from .../releases/latest/download/VERSION]
  MIAUTH_REPOSITORY   the GitHub repository (OWNER/REPO) of the default above [default: the
                      one the release wrote into this script; OWNER/miauth, a placeholder, in
                      the source]
  MIAUTH_INSTALL_DIR  the folder to install miauth.exe into
                      [default: %LOCALAPPDATA%\Programs\miauth\bin]
  MIAUTH_TARGET       the Rust target whose archive to take [default: x86_64-pc-windows-msvc]
  MIAUTH_ADD_TO_PATH  1: add the folder to the user's PATH when it is not on PATH (otherwise
                      one line says how)
  MIAUTH_QUIET        1: the same as -Quiet

Exit codes (of `powershell -File install.ps1`; under `iex` they are left in $LASTEXITCODE):
  0  miauth is installed
  1  another failure: the archive cannot be unpacked or holds no miauth.exe, or the miauth in
     it does not run here
  2  wrong usage: a malformed MIAUTH_VERSION or MIAUTH_TARGET, MIAUTH_RELEASES neither a folder
     nor a URL, or no repository named
  3  no miauth release for this system (cargo install --locked miauth builds one)
  4  a download failed, or MIAUTH_RELEASES lacks a file
  5  the archive does not match its checksum: nothing was installed
  6  no write access to the install folder: nothing was installed
#>
param(
  [switch]$Quiet,
  [switch]$Help
)

# The GitHub repository whose releases this installs. In the source this is the placeholder
# OWNER/miauth; the release workflow writes its own repository on this line (and nowhere else)
# in the copy of install.ps1 it publishes.
$MiauthRepository = if ($env:MIAUTH_REPOSITORY) { $env:MIAUTH_REPOSITORY } else { 'OWNER/miauth' }

# Run as a file (powershell -File install.ps1), the script reports with its exit code. Under
# `irm ... | iex` it runs in the caller's scope, where `exit` would close the caller's window or
# end the caller's script: $MyInvocation is then the caller's, without this file's text.
$MiauthRunAsFile = $false
if ($MyInvocation.MyCommand.CommandType -eq 'ExternalScript') {
  $MiauthScriptText = "$($MyInvocation.MyCommand.ScriptContents)"
  $MiauthRunAsFile = $MiauthScriptText.Contains('function Invoke-MiauthInstall')
}

function Stop-MiauthInstall([int]$Code, [string]$Message) {
  $exception = New-Object System.Exception $Message
  $exception.Data['MiauthExitCode'] = $Code
  throw $exception
}

function Write-MiauthSay([string]$Message) {
  if (-not $MiauthQuiet) { [Console]::Error.WriteLine("miauth install: $Message") }
}

# The first line of an exception's message, for the one-line errors.
function Get-MiauthReason($ErrorRecord) {
  $text = "$($ErrorRecord.Exception.Message)".Trim()
  return ($text -split "`r?`n")[0]
}

function Get-MiauthReleaseFile([string]$Releases, [bool]$IsFolder, [string]$File, [string]$Destination) {
  if ($IsFolder) {
    $source = Join-Path $Releases $File
    if (-not (Test-Path -LiteralPath $source -PathType Leaf)) {
      Stop-MiauthInstall 4 "cannot download ${source}: no such file"
    }
    try {
      Copy-Item -LiteralPath $source -Destination $Destination
    } catch {
      Stop-MiauthInstall 4 "cannot download $source ($(Get-MiauthReason $_))"
    }
    return
  }
  $url = "$Releases/$File"
  try {
    Invoke-WebRequest -Uri $url -OutFile $Destination -UseBasicParsing
  } catch {
    Stop-MiauthInstall 4 "cannot download $url ($(Get-MiauthReason $_))"
  }
}

# Adds FOLDER to the user's PATH in the registry, keeping the value's kind (REG_EXPAND_SZ keeps
# entries such as %USERPROFILE%\bin working, which [Environment]::SetEnvironmentVariable would
# flatten), then lets running programs know.
function Add-MiauthToUserPath([string]$Folder) {
  $key = [Microsoft.Win32.Registry]::CurrentUser.OpenSubKey('Environment', $true)
  try {
    $old = $key.GetValue('Path', '', [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    if ($old) {
      $kind = $key.GetValueKind('Path')
      $key.SetValue('Path', "$Folder;$old", $kind)
    } else {
      $key.SetValue('Path', $Folder, [Microsoft.Win32.RegistryValueKind]::ExpandString)
    }
  } finally {
    $key.Close()
  }
  # Setting a user variable through .NET broadcasts WM_SETTINGCHANGE, so new terminals opened
  # from Explorer see the new PATH; the variable itself is removed again.
  [Environment]::SetEnvironmentVariable('MIAUTH_INSTALL_REFRESH', '1', 'User')
  [Environment]::SetEnvironmentVariable('MIAUTH_INSTALL_REFRESH', '', 'User')
}

function Test-MiauthOnPath([string]$PathValue, [string]$Folder) {
  foreach ($entry in ("$PathValue" -split ';')) {
    if ($entry -and ([Environment]::ExpandEnvironmentVariables($entry).TrimEnd('\', '/') -ieq $Folder)) {
      return $true
    }
  }
  return $false
}

function Install-Miauth {
  # --- what to install ---
  $target = $env:MIAUTH_TARGET
  if (-not $target) {
    # Windows PowerShell 5.1 runs on Windows only; PowerShell 7 sets $IsWindows.
    if ($PSVersionTable.PSVersion.Major -ge 6 -and -not $IsWindows) {
      Stop-MiauthInstall 3 "install.ps1 installs the Windows build; on this system use install.sh, or build miauth with 'cargo install --locked miauth'"
    }
    # A 32-bit PowerShell on 64-bit Windows says x86 here and the truth in PROCESSOR_ARCHITEW6432.
    $arch = $env:PROCESSOR_ARCHITEW6432
    if (-not $arch) { $arch = $env:PROCESSOR_ARCHITECTURE }
    switch ($arch) {
      'AMD64' { $target = 'x86_64-pc-windows-msvc' }
      # Windows 11 on Arm runs x64 programs; miauth --version below tells when it cannot.
      'ARM64' { $target = 'x86_64-pc-windows-msvc' }
      default { Stop-MiauthInstall 3 "no miauth release for Windows on $arch; build it with 'cargo install --locked miauth'" }
    }
  }
  if ($target -notmatch '^[A-Za-z0-9_.-]+$') {
    Stop-MiauthInstall 2 "MIAUTH_TARGET '$target' is not a Rust target"
  }
  if ($target -notlike '*-windows-*') {
    Stop-MiauthInstall 2 "MIAUTH_TARGET '$target' is not a Windows target; install.sh installs the others"
  }

  $version = "$env:MIAUTH_VERSION" -replace '^v', ''
  if ($version -notmatch '^[A-Za-z0-9.+-]*$') {
    Stop-MiauthInstall 2 "MIAUTH_VERSION '$version' is not a version such as 0.1.0"
  }

  $releases = "$env:MIAUTH_RELEASES".TrimEnd('/', '\')
  $github = ''
  $latest = ''
  if (-not $releases) {
    if (-not $MiauthRepository -or $MiauthRepository -like 'OWNER/*') {
      Stop-MiauthInstall 2 "this install.ps1 names no repository (the placeholder '$MiauthRepository'); set MIAUTH_REPOSITORY=OWNER/REPO or MIAUTH_RELEASES"
    }
    if ($MiauthRepository -notmatch '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$') {
      Stop-MiauthInstall 2 "MIAUTH_REPOSITORY '$MiauthRepository' is not OWNER/REPO"
    }
    $github = "https://github.com/$MiauthRepository/releases"
    $latest = "$github/latest/download"
  }
  $isFolder = [bool]($releases -and (Test-Path -LiteralPath $releases -PathType Container))
  if (-not $isFolder) {
    $where = if ($releases) { $releases } else { $latest }
    if ($where -notmatch '^https?://') {
      Stop-MiauthInstall 2 "MIAUTH_RELEASES '$releases' is neither a folder nor an http(s) URL"
    }
  }

  # --- where to install it; checked before anything is downloaded ---
  $dir = $env:MIAUTH_INSTALL_DIR
  if (-not $dir) {
    if (-not $env:LOCALAPPDATA) { Stop-MiauthInstall 2 'LOCALAPPDATA is not set; set MIAUTH_INSTALL_DIR' }
    $dir = Join-Path $env:LOCALAPPDATA 'Programs\miauth\bin'
  }
  $dir = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($dir).TrimEnd('\', '/')
  # The folder, or the nearest one above it that exists (where it will be made), must take a file.
  $probe = $dir
  while (-not (Test-Path -LiteralPath $probe)) {
    $parent = Split-Path -Parent $probe
    if (-not $parent -or $parent -eq $probe) { break }
    $probe = $parent
  }
  if (-not (Test-Path -LiteralPath $probe -PathType Container)) {
    Stop-MiauthInstall 6 "no write access to ${dir}: $probe is not a folder; set MIAUTH_INSTALL_DIR to a folder you can write to"
  }
  $probeFile = Join-Path $probe ('.miauth-install-' + [guid]::NewGuid().ToString('N'))
  try {
    [IO.File]::WriteAllBytes($probeFile, [byte[]]@())
    Remove-Item -LiteralPath $probeFile -Force
  } catch {
    Stop-MiauthInstall 6 "no write access to $dir; set MIAUTH_INSTALL_DIR to a folder you can write to"
  }

  # Windows PowerShell 5.1 may not offer TLS 1.2 by default; GitHub requires it.
  try {
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
  } catch {
    Write-Verbose 'TLS 1.2 is not configurable here'
  }

  $script:MiauthWork = Join-Path ([IO.Path]::GetTempPath()) ('miauth-install-' + [guid]::NewGuid().ToString('N'))
  $work = $script:MiauthWork
  New-Item -ItemType Directory -Path $work | Out-Null

  # --- which version ---
  if (-not $version) {
    $from = if ($releases) { $releases } else { $latest }
    $versionFile = Join-Path $work 'VERSION'
    Get-MiauthReleaseFile $from $isFolder 'VERSION' $versionFile
    $version = ("$(Get-Content -LiteralPath $versionFile -TotalCount 1)".Trim()) -replace '^v', ''
    if ($version -notmatch '^[A-Za-z0-9.+-]+$') {
      Stop-MiauthInstall 4 "$from/VERSION holds no version; set MIAUTH_VERSION"
    }
    Write-MiauthSay "the latest release is $version"
    if ($github) { $releases = "$github/download/v$version" }
  } elseif (-not $releases) {
    $releases = "$github/download/v$version"
  }
  $name = "miauth-$target-v$version"
  $archive = "$name.zip"
  $archivePath = Join-Path $work $archive
  $checksumPath = Join-Path $work "$archive.sha256"

  # --- download and check ---
  Write-MiauthSay "downloading miauth $version for $target from $releases"
  Get-MiauthReleaseFile $releases $isFolder "$archive.sha256" $checksumPath
  Get-MiauthReleaseFile $releases $isFolder $archive $archivePath
  # `HASH  NAME`: only the hash is taken, so the name in it cannot point elsewhere.
  $expected = (("$(Get-Content -LiteralPath $checksumPath -TotalCount 1)".Trim()) -split '\s+')[0].ToLowerInvariant()
  $actual = (Get-FileHash -LiteralPath $archivePath -Algorithm SHA256).Hash.ToLowerInvariant()
  if ($expected -notmatch '^[0-9a-f]{64}$' -or $expected -ne $actual) {
    $shown = if ($expected) { $expected } else { 'nothing' }
    Stop-MiauthInstall 5 "$archive does not match its checksum (expected $shown, got $actual); nothing was installed"
  }

  $unpacked = Join-Path $work 'unpacked'
  try {
    Expand-Archive -LiteralPath $archivePath -DestinationPath $unpacked -Force
  } catch {
    Stop-MiauthInstall 1 "cannot unpack $archive ($(Get-MiauthReason $_))"
  }
  $bin = Join-Path (Join-Path $unpacked $name) 'miauth.exe'
  if (-not (Test-Path -LiteralPath $bin -PathType Leaf)) {
    Stop-MiauthInstall 1 "$archive holds no $name/miauth.exe"
  }
  # Windows PowerShell 5.1 turns a native program's stderr into errors, which 'Stop' would throw.
  $got = $null
  $status = -1
  $preference = $ErrorActionPreference
  $ErrorActionPreference = 'Continue'
  try {
    $got = & $bin --version 2>$null
    $status = $LASTEXITCODE
  } catch {
    $status = -1
  } finally {
    $ErrorActionPreference = $preference
  }
  if ($status -ne 0) {
    Stop-MiauthInstall 1 "the miauth in $archive does not run on this system (Windows on $env:PROCESSOR_ARCHITECTURE)"
  }
  $got = "$got".Trim()
  if ($got -ne "miauth $version") {
    Stop-MiauthInstall 1 "$archive holds '$got', not miauth $version"
  }

  # --- install: a temporary file in the folder, renamed over the old binary ---
  try {
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
  } catch {
    Stop-MiauthInstall 6 "no write access to $dir ($(Get-MiauthReason $_)); set MIAUTH_INSTALL_DIR to a folder you can write to"
  }
  $installed = Join-Path $dir 'miauth.exe'
  $script:MiauthPartial = Join-Path $dir ('.miauth-install-' + [guid]::NewGuid().ToString('N') + '.tmp')
  try {
    Copy-Item -LiteralPath $bin -Destination $script:MiauthPartial
  } catch {
    Stop-MiauthInstall 6 "cannot copy miauth.exe into $dir ($(Get-MiauthReason $_)); nothing was installed"
  }
  try {
    if (Test-Path -LiteralPath $installed) {
      # One rename that replaces the old file (ReplaceFile); [NullString]: no backup, a real null.
      [IO.File]::Replace($script:MiauthPartial, $installed, [NullString]::Value)
    } else {
      [IO.File]::Move($script:MiauthPartial, $installed)
    }
  } catch {
    Stop-MiauthInstall 6 "cannot replace $installed (is miauth running? $(Get-MiauthReason $_)); nothing was installed"
  }
  $script:MiauthPartial = $null
  Write-MiauthSay "installed miauth $version at $installed"

  # --- PATH ---
  if (-not (Test-MiauthOnPath $env:Path $dir)) {
    $userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
    if (Test-MiauthOnPath $userPath $dir) {
      Write-MiauthSay "$dir is on your user PATH; open a new terminal to use miauth"
    } elseif ($env:MIAUTH_ADD_TO_PATH -eq '1') {
      try {
        Add-MiauthToUserPath $dir
      } catch {
        Stop-MiauthInstall 1 "miauth is installed, but $dir could not be added to your user PATH ($(Get-MiauthReason $_))"
      }
      $env:Path = "$dir;$env:Path"
      Write-MiauthSay "added $dir to your user PATH; new terminals will find miauth"
    } else {
      Write-MiauthSay "$dir is not on PATH; to add it to your user PATH, run the installer again after `$env:MIAUTH_ADD_TO_PATH = '1'"
    }
  }
}

# Runs the installer with its own preferences (under `iex` the script's scope is the caller's
# session, whose settings stay as they were) and returns the exit code.
function Invoke-MiauthInstall {
  $ErrorActionPreference = 'Stop'
  # Invoke-WebRequest's progress bar slows Windows PowerShell 5.1's downloads many times over.
  $ProgressPreference = 'SilentlyContinue'
  $script:MiauthWork = $null
  $script:MiauthPartial = $null
  $code = 0
  try {
    Install-Miauth
  } catch {
    $code = $_.Exception.Data['MiauthExitCode']
    $message = "$($_.Exception.Message)"
    if (-not $code) {
      $code = 1
      $message = "unexpected: $(Get-MiauthReason $_)"
    }
    if ($env:GITHUB_ACTIONS -eq 'true') {
      [Console]::Out.WriteLine("::error title=miauth install::$($message -replace '%', '%25')")
    }
    [Console]::Error.WriteLine("miauth install: error: $message")
  } finally {
    if ($script:MiauthPartial -and (Test-Path -LiteralPath $script:MiauthPartial)) {
      Remove-Item -LiteralPath $script:MiauthPartial -Force -ErrorAction SilentlyContinue
    }
    if ($script:MiauthWork -and (Test-Path -LiteralPath $script:MiauthWork)) {
      Remove-Item -LiteralPath $script:MiauthWork -Recurse -Force -ErrorAction SilentlyContinue
    }
  }
  return [int]$code
}

$MiauthQuiet = $Quiet -or ($env:MIAUTH_QUIET -and @('0', 'false', 'no') -notcontains $env:MIAUTH_QUIET)
if ($Help) {
  if ($MiauthRunAsFile) {
    # The comment at the top of this file is the help.
    $usage = ($MiauthScriptText -split '#>')[0].Replace('<#', '').Replace('OWNER/miauth/', "$MiauthRepository/")
    [Console]::Out.Write($usage.TrimStart())
  } else {
    [Console]::Out.WriteLine('miauth install: the comment at the top of install.ps1 says how to use it')
  }
  $MiauthExitCode = 0
} else {
  $MiauthExitCode = Invoke-MiauthInstall
}
if ($MiauthRunAsFile) {
  exit $MiauthExitCode
} elseif ($MiauthExitCode -ne 0) {
  $global:LASTEXITCODE = $MiauthExitCode
}
