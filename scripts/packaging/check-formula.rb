# Reads back the Homebrew formula scripts/package-manifests writes, by running it against a
# stand-in for Homebrew's Formula DSL (not by matching its text), and checks one thing of it.
# Used by scripts/test-package-manifests.
#
# Usage: ruby scripts/packaging/check-formula.rb CHECK FORMULA ARCHIVE_DIR RELEASES_URL VERSION
#
#   fields   desc, homepage, version and license are there and right
#   urls     the four url/sha256 pairs are exactly the Linux and macOS archives in ARCHIVE_DIR:
#            RELEASES_URL/ARCHIVE and the checksum in ARCHIVE.sha256
#   install  `def install` installs the binary, the man page and three completions, by the
#            names the Linux x86_64 archive holds them under
#   test     the `test do` block passes, run against the binary of the Linux x86_64 archive
#            (unpacked into ARCHIVE_DIR/unpacked by the caller)
#
# Prints what disagrees and exits 1, or exits 0.

require "open3"
require "pathname"

check, formula, archive_dir, releases, version = ARGV
abort "usage: check-formula.rb CHECK FORMULA ARCHIVE_DIR RELEASES_URL VERSION" unless version

# The class methods a formula calls, recorded.
class Formula
  class << self
    attr_reader :fields, :downloads, :test_block, :stray

    def record(key, value)
      (@fields ||= {})[key] = value
    end

    def desc(value) = record(:desc, value)
    def homepage(value) = record(:homepage, value)
    def version(value) = record(:version, value)
    def license(value) = record(:license, value)

    def on_macos(&block) = within(:os, :macos, &block)
    def on_linux(&block) = within(:os, :linux, &block)
    def on_arm(&block) = within(:cpu, :arm, &block)
    def on_intel(&block) = within(:cpu, :intel, &block)

    def within(kind, value)
      @where ||= {}
      raise "#{kind} blocks nested in each other" if @where.key?(kind)

      @where[kind] = value
      yield
    ensure
      @where.delete(kind)
    end

    def download
      where = [(@where ||= {})[:os], @where[:cpu]]
      (@stray ||= []) << where if where.include?(nil)
      ((@downloads ||= {})[where] ||= {})
    end

    def url(value) = download[:url] = value
    def sha256(value) = download[:sha256] = value

    def test(&block)
      @test_block = block
    end
  end
end

# What `def install` and `test do` call, recorded or done.
class Recorder
  attr_reader :calls

  def initialize = @calls = []

  def installer(name)
    calls = @calls
    Object.new.tap { |o| o.define_singleton_method(:install) { |*args| calls << [name, *args] } }
  end
end

load formula
klass = Object.const_get(:Miauth)
problems = []
archives = {
  %i[macos arm] => "miauth-aarch64-apple-darwin-v#{version}.tar.gz",
  %i[macos intel] => "miauth-x86_64-apple-darwin-v#{version}.tar.gz",
  %i[linux arm] => "miauth-aarch64-unknown-linux-musl-v#{version}.tar.gz",
  %i[linux intel] => "miauth-x86_64-unknown-linux-musl-v#{version}.tar.gz",
}
linux = archives[%i[linux intel]]
linux_dir = linux.delete_suffix(".tar.gz")

case check
when "fields"
  f = klass.fields || {}
  desc = f[:desc].to_s
  problems << "desc #{desc.inspect} is empty, over 80 characters or ends in a period" if desc.empty? || desc.size > 80 || desc.end_with?(".")
  problems << "homepage #{f[:homepage].inspect} is not an https URL" unless f[:homepage].to_s.start_with?("https://")
  problems << "version #{f[:version].inspect} is not #{version}" unless f[:version] == version
  problems << "license #{f[:license].inspect}" unless f[:license] == { any_of: %w[MIT Apache-2.0] }
when "urls"
  found = klass.downloads || {}
  problems << "url or sha256 outside an on_macos/on_linux and on_arm/on_intel block" if klass.stray
  problems << "blocks #{(found.keys - archives.keys).inspect} name no archive" unless (found.keys - archives.keys).empty?
  archives.each do |where, name|
    sum_file = File.join(archive_dir, "#{name}.sha256")
    expected_sum = File.exist?(sum_file) ? File.read(sum_file).split.first.to_s.downcase : "(no #{name}.sha256)"
    got = found[where] || {}
    problems << "#{where.join('/')}: url #{got[:url].inspect}, not #{releases}/#{name}" unless got[:url] == "#{releases}/#{name}"
    problems << "#{where.join('/')}: sha256 #{got[:sha256].inspect}, not #{expected_sum} from #{name}.sha256" unless got[:sha256] == expected_sum
  end
when "install"
  recorder = Recorder.new
  instance = klass.allocate
  %i[bin man1 bash_completion zsh_completion fish_completion].each do |dir|
    instance.define_singleton_method(dir) { recorder.installer(dir) }
  end
  instance.install
  expected = [
    [:bin, "miauth"],
    [:man1, "doc/miauth.1"],
    [:bash_completion, { "complete/miauth.bash" => "miauth" }],
    [:zsh_completion, "complete/_miauth"],
    [:fish_completion, "complete/miauth.fish"],
  ]
  problems << "install calls #{recorder.calls.inspect}, not #{expected.inspect}" unless recorder.calls == expected
  listing, status = Open3.capture2("tar", "-tzf", File.join(archive_dir, linux))
  problems << "cannot list #{linux}" unless status.success?
  recorder.calls.each do |_, what|
    source = what.is_a?(Hash) ? what.keys.first : what
    problems << "#{linux} holds no #{source}" unless listing.lines.map(&:chomp).include?("#{linux_dir}/#{source}")
  end
when "test"
  bin_dir = Pathname.new(File.join(archive_dir, "unpacked", linux_dir))
  instance = klass.allocate
  instance.define_singleton_method(:bin) { bin_dir }
  instance.define_singleton_method(:version) { klass.fields[:version] }
  instance.define_singleton_method(:shell_output) do |command|
    output, errors, status = Open3.capture3(command)
    raise "#{command} exited with #{status.exitstatus}: #{errors}" unless status.success?

    output
  end
  instance.define_singleton_method(:assert_match) do |pattern, text|
    ok = pattern.is_a?(Regexp) ? pattern.match?(text) : text.include?(pattern)
    raise "#{text.inspect} does not match #{pattern.inspect}" unless ok
  end
  begin
    raise "no test block" unless klass.test_block

    instance.instance_exec(&klass.test_block)
  rescue StandardError => e
    problems << "test do: #{e.message}"
  end
else
  abort "unknown check #{check}"
end

problems.each { |p| puts "  formula: #{p}" }
exit(problems.empty? ? 0 : 1)
