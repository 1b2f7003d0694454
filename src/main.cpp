#include "herald/app/cli.hpp"

int main(int argc, char** argv) {
  return herald::run_cli(argc, argv);
}
