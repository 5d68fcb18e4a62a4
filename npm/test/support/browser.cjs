// A browser for `miauth mock --auto-approve`: follows the authorisation URL (given last, as
// $BROWSER's commands get it) through the fake consent page's redirect to miauth's callback.
fetch(process.argv[process.argv.length - 1], { redirect: "follow" }).then(
  (res) => res.text(),
  (e) => {
    process.stderr.write(`test browser: ${e.message}\n`);
    process.exitCode = 1;
  },
);
